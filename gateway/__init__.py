"""Border feedback gateway: USSD/SMS community reporting for the Mali–Burkina Faso border."""

__version__ = "0.1.0"
