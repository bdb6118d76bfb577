package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

// firstDownloadBytesMax bounds everything a first visit to the lab fetches,
// compressed as it travels: the page, its scripts and styles, the simulator's
// WebAssembly and the scenario catalogue. Lessons and the classroom are to
// fit under it too.
const firstDownloadBytesMax = 1_500_000

// The page's first download stays under firstDownloadBytesMax, both as
// Chromium fetches it here (it offers br on localhost and over HTTPS) and as
// a browser on plain HTTP fetches it (no br offered: gzip). This measures
// bytes, not time, so a busy machine cannot fail it.
func TestBrowserFirstDownloadSize(t *testing.T) {
	labServerURL(t) // builds the app with the siblings `make web` writes
	h, err := newHandler(os.DirFS(app.dir), app.logger())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, encoding string
		offer          string // Accept-Encoding the server sees; "" leaves Chromium's
	}{
		{"Chromium on localhost", "br", ""},
		{"a browser on plain HTTP", "gzip", "gzip, deflate"},
	} {
		t.Run(tc.encoding, func(t *testing.T) {
			var sent sentBytes
			handler := sent.wrap(h)
			if tc.offer != "" {
				inner := handler
				handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					r.Header.Set("Accept-Encoding", tc.offer)
					inner.ServeHTTP(w, r)
				})
			}
			srv := httptest.NewServer(handler)
			defer srv.Close()
			p := newPage(t)
			p.base = srv.URL + "/"
			d := firstDownload(t, p, srv.URL, &sent, tc.encoding)
			t.Logf("%s (%s): %s", tc.name, tc.encoding, d)
			if d.total > firstDownloadBytesMax {
				t.Errorf("%s: the first visit downloads %.0f bytes, over the limit of %d", tc.name, d.total, firstDownloadBytesMax)
			}
		})
	}
}
