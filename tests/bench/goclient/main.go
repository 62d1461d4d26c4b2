// goclient: one Gemini client on Go's crypto/tls (the stack of amfora and
// bombadillo), for the latency table of attache's bench
// (tests/bench/bench_latency.py).  It makes -n requests in a row and
// times each from the request's last byte written (after the handshake)
// to the first byte of the answer.  TCP_NODELAY stays as Go sets it (on),
// as it is in every Go client.  Loopback only; bounded by -n, -seconds and
// -timeout.
//
// Output, a line each: "sample MS RESUMED" per timed request, "fail
// MESSAGE" per failed one, and "requests N" (requests sent, the untimed
// first one of -resume included) at the end.
package main

import (
	"bytes"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

type client struct {
	addr    string
	request []byte
	expect  []byte
	timeout time.Duration
	config  *tls.Config
}

// one request: the latency, whether the session was resumed, or an error.
func (c *client) one() (time.Duration, bool, error) {
	d := net.Dialer{Timeout: c.timeout}
	raw, err := d.Dial("tcp", c.addr)
	if err != nil {
		return 0, false, err
	}
	defer raw.Close()
	if err := raw.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, false, err
	}
	conn := tls.Client(raw, c.config)
	if err := conn.Handshake(); err != nil {
		return 0, false, err
	}
	if _, err := conn.Write(c.request); err != nil {
		return 0, false, err
	}
	t0 := time.Now()
	buf := make([]byte, 65536)
	n, err := conn.Read(buf)
	lat := time.Since(t0)
	if n == 0 {
		return 0, false, fmt.Errorf("no answer: %v", err)
	}
	answer := append([]byte(nil), buf[:n]...)
	rest, err := io.ReadAll(io.LimitReader(conn, 4<<20))
	if err != nil {
		return 0, false, err
	}
	answer = append(answer, rest...)
	if !bytes.HasPrefix(answer, c.expect) {
		return 0, false, fmt.Errorf("answer starts %q", answer[:min(len(answer), 40)])
	}
	return lat, conn.ConnectionState().DidResume, nil
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func main() {
	port := flag.Int("port", 0, "server port on 127.0.0.1")
	request := flag.String("request", "gemini://localhost/\r\n", "request line")
	expect := flag.String("expect", "20 ", "an answer starts with this")
	version := flag.String("tls", "1.3", "TLS version: 1.3 or 1.2")
	n := flag.Int("n", 10, "timed requests")
	seconds := flag.Float64("seconds", 10, "start no request after this")
	timeout := flag.Float64("timeout", 5, "per connection, seconds")
	resume := flag.Bool("resume", false, "resume the TLS session (an untimed first request makes it)")
	flag.Parse()
	if *port <= 0 || *port > 65535 || *n < 0 || *n > 100000 {
		fmt.Fprintln(os.Stderr, "goclient: bad -port or -n")
		os.Exit(2)
	}
	v := uint16(tls.VersionTLS13)
	if *version == "1.2" {
		v = tls.VersionTLS12
	}
	c := client{
		addr:    fmt.Sprintf("127.0.0.1:%d", *port),
		request: []byte(*request),
		expect:  []byte(*expect),
		timeout: time.Duration(*timeout * float64(time.Second)),
		config: &tls.Config{ServerName: "localhost", InsecureSkipVerify: true,
			MinVersion: v, MaxVersion: v},
	}
	if *resume {
		c.config.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	}
	deadline := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	total := *n
	if *resume {
		total++
	}
	sent := 0
	for i := 0; i < total && time.Now().Before(deadline); i++ {
		sent++
		lat, resumed, err := c.one()
		if err != nil {
			fmt.Printf("fail %v\n", err)
			continue
		}
		if *resume && i == 0 {
			continue
		}
		r := 0
		if resumed {
			r = 1
		}
		fmt.Printf("sample %.3f %d\n", float64(lat.Nanoseconds())/1e6, r)
	}
	fmt.Printf("requests %d\n", sent)
}
