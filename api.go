package floorgate

// BackupBytesTrailer is the HTTP trailer of GET /api/v1/backup that carries
// the copy's size, so a client can tell a whole copy from one cut short
// (docs/web-api.md). The server (web) and the client (client) share it.
const BackupBytesTrailer = "Floorgate-Backup-Bytes"
