package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AlertProvider is a chat service that receives canary notifications.
//
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=alertproviders,scope=Namespaced,categories=all
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
type AlertProvider struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AlertProviderSpec `json:"spec"`
	// +optional
	Status AlertProviderStatus `json:"status,omitempty"`
}

// AlertProviderList is a list of AlertProviders.
//
// +kubebuilder:object:root=true
type AlertProviderList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []AlertProvider `json:"items"`
}

// AlertProviderType names a chat service.
//
// +kubebuilder:validation:Enum=slack;msteams;discord;rocket;gchat
type AlertProviderType string

// Alert provider types.
const (
	SlackProvider   AlertProviderType = "slack"
	MSTeamsProvider AlertProviderType = "msteams"
	DiscordProvider AlertProviderType = "discord"
	RocketProvider  AlertProviderType = "rocket"
	GChatProvider   AlertProviderType = "gchat"
)

// AlertProviderSpec configures a chat service.
type AlertProviderSpec struct {
	// Type of the chat service.
	Type AlertProviderType `json:"type"`

	// Channel to post to (default general).
	// +optional
	Channel string `json:"channel,omitempty"`

	// Username to post as (default flagger).
	// +optional
	Username string `json:"username,omitempty"`

	// Address is the webhook URL; a Secret's address key overrides it.
	// +optional
	Address string `json:"address,omitempty"`

	// Proxy is an HTTP(S) proxy URL for the requests.
	// +optional
	Proxy string `json:"proxy,omitempty"`

	// SecretRef names a Secret in the provider's namespace with the keys address and, optionally,
	// token (sent as a bearer token).
	// +optional
	SecretRef *SecretReference `json:"secretRef,omitempty"`
}

// AlertProviderStatus is the observed state of an AlertProvider.
type AlertProviderStatus struct {
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
