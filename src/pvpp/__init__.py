"""pvpp: the workflow engine for Latvia's PVPP2027 service-management maturity programme."""

__version__ = "0.1.0"
