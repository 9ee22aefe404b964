"""Qt's own warnings (layout, painter, platform plugin) go to the log file, where a bug report can find them;
a GUI user never sees the stderr they would otherwise go to."""

from __future__ import annotations

import logging

from PySide6.QtCore import QLoggingCategory, QtMsgType, qInstallMessageHandler

log = logging.getLogger("qt")

LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _handler(kind, context, message: str) -> None:
    where = f" ({context.file}:{context.line})" if context is not None and context.file else ""
    log.log(LEVELS.get(kind, logging.WARNING), "%s%s", message, where)


def install_qt_log_handler():
    """Route Qt messages into Python logging; returns the previous handler (tests restore it)."""
    return qInstallMessageHandler(_handler)


# QtMultimedia probes optional system audio libraries (PipeWire) on load and warns when one is absent, although
# it then uses the next backend: the warning says nothing a user or a test can act on.
EXPECTED_WARNINGS = "qt.multimedia.symbolsresolver.warning=false"


def mute_expected_warnings() -> None:
    """Silence Qt categories whose warnings are expected on a normal machine (see EXPECTED_WARNINGS); a
    QT_LOGGING_RULES environment variable still overrides this."""
    QLoggingCategory.setFilterRules(EXPECTED_WARNINGS)
