"""User interfaces: the `referat` command line and the Gradio chat."""
