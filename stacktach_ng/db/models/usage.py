"""Models of usage tracking and verification."""
