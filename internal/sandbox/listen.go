package sandbox

import (
	"fmt"
	"net"
)

// Listen binds addr for serving a Sandbox. The sandbox's /_sandbox admin API has no
// authentication and lists every token, so Listen refuses an address beyond loopback (a
// wildcard such as 0.0.0.0 included) unless allowRemoteAdmin says the caller means it.
func Listen(addr string, allowRemoteAdmin bool) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() && !allowRemoteAdmin {
		ln.Close()
		return nil, fmt.Errorf("the sandbox would listen on %s, beyond loopback, where anyone who can reach it may read its tokens through the unauthenticated /_sandbox admin API: "+
			"listen on 127.0.0.1, or allow remote admin access explicitly", addr)
	}
	return ln, nil
}
