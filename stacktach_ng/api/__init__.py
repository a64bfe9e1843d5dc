"""The REST API: a Pecan application (see ``stacktach_ng.api.app``)."""
