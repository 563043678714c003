/** Where a coordinator serves the volunteers' page and the agent package (`npm run build:agent`). */
export const AGENT_PAGE_PATH = '/agent/';
export const AGENT_TARBALL_NAME = 'detourwatch-agent.tgz';
export const AGENT_TARBALL_PATH = `${AGENT_PAGE_PATH}${AGENT_TARBALL_NAME}`;
