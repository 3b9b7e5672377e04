"""Only the end-of-run summary tables (tests/faults/report.py, tests/hostile/ledger.py); nothing else lives here."""


def pytest_terminal_summary(terminalreporter):
    from tests.faults.report import table
    from tests.hostile.ledger import table as hostile_table

    for line in table():
        terminalreporter.write_line(line)
    for line in hostile_table():
        terminalreporter.write_line(line)
