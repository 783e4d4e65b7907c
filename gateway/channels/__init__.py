"""Provider adapters. Each turns its provider's requests into neutral events and back."""
