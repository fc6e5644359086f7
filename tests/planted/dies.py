"""Planted crash: takes its whole process down, as a native library's abort does."""

import os


def handler(event, context):
    os._exit(3)
