"""Only the fault-injection summary table (tests/faults/report.py); nothing else lives here."""


def pytest_terminal_summary(terminalreporter):
    from tests.faults.report import table

    for line in table():
        terminalreporter.write_line(line)
