"""The Gradio chat: a thin shell over `rag.RagService`."""
