package cli

import (
	"context"
	"io"
	"os"

	"github.com/floorgate/floorgate/doctor"
)

// doctorCommand is `floorgate doctor [--config FILE] [--backbone URLS …]`.
func doctorCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("doctor", "", "Check the configuration, state directory, credentials, devices, printers, brokers, clock, listener\nand local socket; one line each, with what to do. The exit status says whether the gateway is healthy.\n"+
		"On a NATS backbone it checks every cluster node in mqtt.brokers, or, with mqtt.embedded.leaf, the cluster's leaf\n"+
		"listeners and the running gateway's leaf link; with --backbone also the cluster's JetStream side: the nodes,\n"+
		"the meta leader, the events stream's replicas, the MQTT store's retention and each site's source\n"+
		"(the password from --backbone-password or $FLOORGATE_BACKBONE_PASSWORD).", stdout, stderr)
	configPath := configFlag(fs)
	backbone := fs.String("backbone", "", "the backbone cluster nodes' nats:// URLs, comma-separated: check the cluster's side too")
	user := fs.String("backbone-user", "", "an account user of the cluster that may read JetStream (the one backbone init ran as)")
	password := fs.String("backbone-password", "", "its password (or $FLOORGATE_BACKBONE_PASSWORD, kept out of the process list)")
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	if *password == "" {
		*password = os.Getenv("FLOORGATE_BACKBONE_PASSWORD")
	}
	return (&doctor.Doctor{ConfigPath: configFile(*configPath), Backbone: *backbone, BackboneUser: *user, BackbonePassword: *password}).Run(ctx, stdout)
}
