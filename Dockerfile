# masthead in a container (the API of compose.yaml in docs/content/posts/api.md; any
# other command too: docker run --rm -v "$PWD/mysite:/site" masthead build /site).
FROM python:3.11-slim
COPY pyproject.toml README.md /src/
COPY src /src/src
RUN pip install --no-cache-dir /src && useradd --system --create-home masthead
USER masthead
ENTRYPOINT ["masthead"]
