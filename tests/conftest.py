import logging

# Salt flushes its queued log records at exit, after pytest has closed the
# captured streams; don't print a traceback for each of them.
logging.raiseExceptions = False
