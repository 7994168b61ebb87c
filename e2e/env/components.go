package env

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ports are the loopback ports of the environment's processes.
type ports struct {
	etcdClient, etcdPeer, apiserver, kcm, scheduler, kwok, prometheus int
}

func newPorts() (ports, error) {
	p, err := FreePorts(7)
	if err != nil {
		return ports{}, err
	}
	return ports{p[0], p[1], p[2], p[3], p[4], p[5], p[6]}, nil
}

func hostPort(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

func etcdArgs(dir string, p ports) []string {
	client := "http://" + hostPort(p.etcdClient)
	peer := "http://" + hostPort(p.etcdPeer)
	return []string{
		"--name=default",
		"--data-dir=" + filepath.Join(dir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=default=" + peer,
		"--unsafe-no-fsync=true", // throwaway data: speed over durability
		"--log-level=warn",
	}
}

// serviceCIDR is the Service IP range (kube-apiserver and kube-controller-manager must agree;
// the serving certificate names its first address, the kubernetes Service). A /16 holds 65,534
// ClusterIPs, 3 per canary; kube-apiserver refuses IPv4 ranges wider than a /12.
const serviceCIDR = "10.0.0.0/16"

func apiserverArgs(pki *PKI, p ports) []string {
	return []string{
		"--etcd-servers=http://" + hostPort(p.etcdClient),
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(p.apiserver),
		// A loopback advertise address is refused by the default lease endpoint reconciler.
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--tls-cert-file=" + pki.ServingCert,
		"--tls-private-key-file=" + pki.ServingKey,
		"--client-ca-file=" + pki.CACert,
		// The request-header CA is the client CA, so only the front proxy's name may assert
		// identities through headers.
		"--requestheader-client-ca-file=" + pki.CACert,
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + pki.FrontProxyCert,
		"--proxy-client-key-file=" + pki.FrontProxyKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pki.SAPub,
		"--service-account-signing-key-file=" + pki.SAKey,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		"--profiling=false",
	}
}

func controllerManagerArgs(dir, kubeconfig string, pki *PKI, p ports) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(p.kcm),
		"--cert-dir=" + filepath.Join(dir, "kube-controller-manager"),
		"--leader-elect=false",
		"--service-account-private-key-file=" + pki.SAKey,
		"--root-ca-file=" + pki.CACert,
		"--cluster-signing-cert-file=" + pki.CACert,
		"--cluster-signing-key-file=" + pki.CAKey,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--profiling=false",
		// A thousand canaries create thousands of pods at once (make bench-scale): the default
		// 20 requests/s and 5 workers would make the environment, not gitcanary, the bottleneck.
		"--kube-api-qps=" + kubeAPIQPS,
		"--kube-api-burst=" + kubeAPIBurst,
		"--concurrent-deployment-syncs=20",
		"--concurrent-replicaset-syncs=20",
	}
}

// Client rate limits of kube-controller-manager and kube-scheduler.
const (
	kubeAPIQPS   = "500"
	kubeAPIBurst = "1000"
)

// podCIDR is the range kwok gives pod IPs from: a /16 (kwok's default /24 holds 254 pods), apart
// from the Service range.
const podCIDR = "10.128.0.0/16"

func schedulerArgs(dir, kubeconfig string, p ports) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(p.scheduler),
		"--cert-dir=" + filepath.Join(dir, "kube-scheduler"),
		"--leader-elect=false",
		"--profiling=false",
		"--kube-api-qps=" + kubeAPIQPS,
		"--kube-api-burst=" + kubeAPIBurst,
	}
}

// kwokArgs runs kwok for every node (all of them are fake) with the stage definitions that
// make tools copied from the kwok module: nodes become Ready and keep a lease, pods become
// Running and Ready at once.
func kwokArgs(kubeconfig, stagesDir string, p ports) ([]string, error) {
	entries, err := os.ReadDir(stagesDir)
	if err != nil {
		return nil, fmt.Errorf("read kwok stages %s (run make tools): %w", stagesDir, err)
	}
	var stages []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			stages = append(stages, filepath.Join(stagesDir, e.Name()))
		}
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("read kwok stages %s: no stage files (run make tools)", stagesDir)
	}
	sort.Strings(stages)
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--manage-all-nodes=true",
		"--server-address=" + hostPort(p.kwok),
		"--node-ip=127.0.0.1",
		"--cidr=" + podCIDR,
		"--node-lease-duration-seconds=40",
		"--config=" + strings.Join(stages, ","),
	}, nil
}

// prometheusConfig scrapes the mesh simulator's Envoy metrics every second, keeping their
// kubernetes_namespace label.
func prometheusConfig(meshMetricsAddr string) string {
	return fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
- job_name: envoy
  honor_labels: true
  scrape_interval: 1s
  scrape_timeout: 1s
  static_configs:
  - targets: [%q]
`, meshMetricsAddr)
}

func prometheusArgs(dir string, p ports) []string {
	return []string{
		"--config.file=" + filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path=" + filepath.Join(dir, "prometheus"),
		"--storage.tsdb.retention.time=2h",
		"--web.listen-address=" + hostPort(p.prometheus),
		"--log.level=warn",
	}
}
