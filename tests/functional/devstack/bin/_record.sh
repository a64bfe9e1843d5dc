#!/bin/bash
#
# Sourced by the stand-in commands of this directory: _record NAME ARG...
# appends one line to $STUB_RECORD (fields separated by 0x1f).

function _record {
    local IFS=$'\x1f'
    printf '%s\n' "$*" >> "$STUB_RECORD"
}
