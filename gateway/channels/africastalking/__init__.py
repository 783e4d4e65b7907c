"""Africa's Talking: the only place that knows its field names and CON/END convention."""
