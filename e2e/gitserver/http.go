package gitserver

import (
	"compress/gzip"
	"crypto/subtle"
	"io"
	"net/http"
	"strings"
)

// httpHandler serves the smart HTTP protocol: GET <repo>/info/refs?service=..., POST
// <repo>/git-upload-pack and POST <repo>/git-receive-pack.
type httpHandler struct{ s *Server }

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	log := h.s.opts.Log.WithValues("method", req.Method, "path", req.URL.Path)
	if !h.authorized(req) {
		log.Info("refused: unauthorized")
		w.Header().Set("WWW-Authenticate", `Basic realm="gitserver"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
		return
	}
	name, service, ok := route(req)
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	r, err := h.s.repo(name)
	if err != nil {
		log.Info("refused: no such repository")
		http.Error(w, "repository not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	if req.Method == http.MethodGet {
		w.Header().Set("Content-Type", "application/x-"+service+"-advertisement")
		if err := r.advertise(w, service, true); err != nil {
			log.Error(err, "advertise references")
		}
		return
	}
	body := io.Reader(req.Body)
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, "bad gzip body", http.StatusBadRequest)
			return
		}
		defer gz.Close()
		body = gz
	}
	w.Header().Set("Content-Type", "application/x-"+service+"-result")
	if service == serviceUploadPack {
		err = r.uploadPack(req.Context(), w, body)
	} else {
		var updates []RefUpdate
		updates, err = r.receivePack(req.Context(), w, body, h.s.opts.DenyNonFastForwards)
		for _, u := range updates {
			log.Info("reference updated", "ref", u.Ref, "old", u.Old, "new", u.New)
		}
	}
	if err != nil {
		log.Error(err, "serve "+service)
	}
}

// route splits a request into repository name and service; ok is false for anything else.
func route(req *http.Request) (name, service string, ok bool) {
	p := req.URL.Path
	switch {
	case req.Method == http.MethodGet && strings.HasSuffix(p, "/info/refs"):
		service = req.URL.Query().Get("service")
		if service != serviceUploadPack && service != serviceReceivePack {
			return "", "", false
		}
		return strings.TrimSuffix(p, "/info/refs"), service, true
	case req.Method == http.MethodPost && strings.HasSuffix(p, "/"+serviceUploadPack):
		return strings.TrimSuffix(p, "/"+serviceUploadPack), serviceUploadPack, true
	case req.Method == http.MethodPost && strings.HasSuffix(p, "/"+serviceReceivePack):
		return strings.TrimSuffix(p, "/"+serviceReceivePack), serviceReceivePack, true
	}
	return "", "", false
}

// authorized checks basic auth or the bearer token when the server has credentials.
func (h *httpHandler) authorized(req *http.Request) bool {
	o := h.s.opts
	if o.Username == "" && o.BearerToken == "" {
		return true
	}
	if tok, found := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); found && o.BearerToken != "" {
		return equal(tok, o.BearerToken)
	}
	if u, p, found := req.BasicAuth(); found && o.Username != "" {
		return equal(u, o.Username) && equal(p, o.Password)
	}
	return false
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
