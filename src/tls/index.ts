// TLS material for `taskdrop serve --https`: development certificates or the user's own.
export { TlsConfigError, type TlsMaterial } from "./common.js";
export { ensureDevCertificates, DEFAULT_HOSTS, TLS_FILES } from "./dev-certs.js";
export { loadUserCertificate } from "./load-certs.js";
