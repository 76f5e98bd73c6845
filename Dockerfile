# Hugging Face Space (Docker SDK): serves the Streamlit app on port 8501 as a non-root user (UID 1000).
FROM python:3.11-slim

RUN useradd --create-home --uid 1000 user
WORKDIR /home/user/app

# torch first and pinned (CPU wheel), then the rest.
COPY requirements.txt .
RUN pip install --no-cache-dir torch==2.13.0 && pip install --no-cache-dir -r requirements.txt

COPY --chown=user . .
USER user
ENV HOME=/home/user HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
EXPOSE 8501
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
