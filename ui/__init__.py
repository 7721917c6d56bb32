"""The Gradio chat: a thin shell over `rag.RagService`."""

import os

# Gradio reports usage to its makers unless told not to, and reads this when first imported.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
