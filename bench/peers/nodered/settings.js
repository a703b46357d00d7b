// Node-RED settings for floorgate bench peer (README.md, Benchmarks): the
// scan loop's state lives in the flow context, kept by the localfilesystem
// store, which flushes to disk every 30 s as a site's Node-RED does by
// default. bench peer sets PORT and FLOORGATE_PEER_MQTT_PORT.
module.exports = {
    uiHost: '127.0.0.1',
    uiPort: Number(process.env.PORT || 1880),
    flowFile: 'flows.json',
    credentialSecret: false,
    // No editor: a site's editor is idle while pickers scan.
    disableEditor: true,
    httpAdminRoot: false,
    contextStorage: {
        default: { module: 'localfilesystem', config: { flushInterval: 30 } },
        memory: { module: 'memory' },
    },
    functionGlobalContext: { crypto: require('crypto') },
    logging: { console: { level: 'info', metrics: false, audit: false } },
};
