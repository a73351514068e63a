# The hub's image: its TypeScript runs through tsx, as `scripts/hub` runs it on a workstation (no
# build step). docker-compose.yml uses it for the one-shot `migrate` service; any subcommand of
# `hub` can be given as the command (e.g. `start --no-services --roles web`).
FROM node:22-bookworm-slim
WORKDIR /app
RUN chown node:node /app
USER node
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --chown=node:node . .
ENTRYPOINT ["bash", "scripts/hub"]
CMD ["migrate"]
