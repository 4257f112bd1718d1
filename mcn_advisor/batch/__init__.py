"""A portfolio at once: finding the inputs, naming the reports, running the stream."""
