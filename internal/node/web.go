package node

import "github.com/liaison-dev/liaison/internal/web"

// openWeb builds the web console (internal/web) on the node's services;
// Handler mounts it at "/", apart from the API and TAXII routes.
func (n *Node) openWeb() {
	n.Web = &web.Server{Log: n.Log, Store: n.Store, Clock: n.Clock, Auth: n.Auth, Directory: n.Directory, Peers: n.Peers,
		Intel: n.Intel, Requests: n.Requests, Hotline: n.Hotline, Cases: n.Cases, Progress: n.Progress, Samples: n.Samples, Health: n.Federation.Health, Party: n.Config.Party, Name: n.Config.Name}
}
