"""Prefect flows for the PVPP2027 cycle. Each flow sequences tasks; each task calls the
same service functions as the CLI. Parameters, results and logs carry codes and counts
only — never names or email addresses."""
