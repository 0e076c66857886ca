#!/usr/bin/env python3
"""The cron entry point: one dispatch pass, exit status 1 on an internal fault.

crontab: ``* * * * * /path/to/.venv/bin/python /path/to/dispatch.py``
"""

import sys

from hostmaster import create_app
from hostmaster.dispatcher import dispatch_once

if __name__ == "__main__":
    sys.exit(1 if dispatch_once(create_app()) else 0)
