package env

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gitcanary/gitcanary/e2e/meshsim"
)

// GatewayAPIModule is the Go module whose standard-channel CRDs the environment installs: the
// version pinned in go.mod, the one the router is built against.
const GatewayAPIModule = "sigs.k8s.io/gateway-api"

// GatewayClassName is the GatewayClass the mesh simulator implements: Gateways of this class
// are served by the mesh ingress (envoy.<ns>:10000) and accepted by its status writer.
const GatewayClassName = "meshsim"

// gatewayAPICRDs are the CRDs installed, from config/crd/standard of the module.
var gatewayAPICRDs = []string{"gatewayclasses", "gateways", "httproutes", "referencegrants"}

// installGatewayAPI installs the Gateway API CRDs of the pinned module (read from the module
// cache, where building this program put them) and the GatewayClass of the mesh simulator.
func (e *Env) installGatewayAPI(ctx context.Context) error {
	dir, err := moduleDir(ctx, GatewayAPIModule)
	if err != nil {
		return err
	}
	for _, name := range gatewayAPICRDs {
		data, err := os.ReadFile(filepath.Join(dir, "config", "crd", "standard", "gateway.networking.k8s.io_"+name+".yaml"))
		if err != nil {
			return fmt.Errorf("read Gateway API CRD %s: %w", name, err)
		}
		if err := e.ApplyCRD(ctx, data); err != nil {
			return err
		}
	}
	gw, err := gwclient.NewForConfig(e.rest)
	if err != nil {
		return fmt.Errorf("create Gateway API client: %w", err)
	}
	class := &gwv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: GatewayClassName},
		Spec:       gwv1.GatewayClassSpec{ControllerName: meshsim.ControllerName},
	}
	if _, err := gw.GatewayV1().GatewayClasses().Create(ctx, class, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create GatewayClass %s: %w", GatewayClassName, err)
	}
	return nil
}

// moduleDir returns the folder of module in the module cache, as go.mod of the current
// module pins it.
func moduleDir(ctx context.Context, module string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-json", module).Output()
	if err != nil {
		return "", fmt.Errorf("find module %s (go list -m): %w", module, err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return "", fmt.Errorf("find module %s: no folder in the module cache (run go mod download)", module)
	}
	return m.Dir, nil
}
