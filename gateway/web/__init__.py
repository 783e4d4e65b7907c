"""The pages people open in a browser: the web console and the API's `/docs`."""
