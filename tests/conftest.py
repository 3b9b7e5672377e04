"""Only the end-of-run summary tables (tests/faults/report.py, tests/hostile_report.py); nothing else lives here."""


def pytest_terminal_summary(terminalreporter):
    from tests.faults.report import table
    from tests.hostile_report import table as hostile_table

    for line in [*table(), *hostile_table()]:
        terminalreporter.write_line(line)
