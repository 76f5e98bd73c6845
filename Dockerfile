# Hugging Face Space (Docker SDK): serves the Streamlit app on port 8501 as a non-root user (UID 1000).
FROM python:3.11-slim

RUN useradd --create-home --uid 1000 user
WORKDIR /home/user/app

# torch first and pinned (CPU wheel), then the rest.
COPY requirements.txt .
RUN pip install --no-cache-dir torch==2.13.0 && pip install --no-cache-dir -r requirements.txt

COPY --chown=user . .
USER user
# PHYLO_CACHE is left unset: /data/phylo with persistent storage, else ~/.cache/phylo (core.settings.cache_dir).
ENV HOME=/home/user HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
EXPOSE 8501
# First pull the bundle named by the Space variable PHYLO_BUNDLE_REPO (core.fetch: online for this step only;
# never fails the start); with none to be had, start building the real Hub in the background (--self-build);
# then serve: no visitor waits on the download or the build.
CMD ["sh", "-c", "HF_HUB_OFFLINE=0 python -m core.fetch --self-build; exec streamlit run app.py --server.port=8501 --server.address=0.0.0.0"]
