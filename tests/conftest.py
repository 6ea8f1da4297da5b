import logging
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

# Salt flushes its queued log records at exit, after pytest has closed the
# captured streams; don't print a traceback for each of them.
logging.raiseExceptions = False
