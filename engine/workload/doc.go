// Package workload adapts Deployment targets to the engine: it implements engine.Workloads and
// engine.Scaler with client-go's kubernetes.Interface.
//
// It owns the objects generated from a target Deployment, named and shaped as Flagger names and
// shapes them (reference §3–§4): the <target>-primary Deployment, the <hpa>-primary
// HorizontalPodAutoscaler (autoscaling/v2 only) and the <name>-primary copies of the tracked
// ConfigMaps and Secrets, all with a controller owner reference to the Canary. It reads the
// target's revision (engine.PodTemplateHash), the checksums of its tracked configs and the
// readiness of the target and the primary with Flagger's waiting messages, and it discovers the
// selector label and the extra container ports that the router's Services use.
//
// It deliberately does not decide anything: when to create, promote or scale is the engine's
// choice. It never writes the Canary and never routes traffic. It reads only from the shared
// informers' caches (Listers), never from the API server, and sees its own writes before the
// informers deliver them (api/client.Cached), so a tick never acts on a version it replaced. It
// writes only what changed: an existing primary Deployment is never updated outside Promote,
// and the primary autoscaler and the -primary configs are written only when they differ from
// what is wanted. The target's spec.replicas is written only through JSON merge patches
// (ScaleToZero, ScaleFromZero, Revert), a field the GitOps sync loop leaves alone. DaemonSet
// and Service targets and KEDA ScaledObject autoscalers are rejected with ErrUnsupported.
//
// The main type is Deployments; New builds it from a clientset (for writes), the Listers and
// Options.
package workload
