package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// spdxDocument is the part of an SPDX 2.3 JSON document the SBOM uses.
type spdxDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	Name             string            `json:"name"`
	SPDXID           string            `json:"SPDXID"`
	VersionInfo      string            `json:"versionInfo"`
	DownloadLocation string            `json:"downloadLocation"`
	FilesAnalyzed    bool              `json:"filesAnalyzed"`
	Checksums        []spdxChecksum    `json:"checksums,omitempty"`
	ExternalRefs     []spdxExternalRef `json:"externalRefs,omitempty"`
	Comment          string            `json:"comment,omitempty"`
}

type spdxChecksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type spdxExternalRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	SPDXElementID      string `json:"spdxElementId"`
	RelationshipType   string `json:"relationshipType"`
	RelatedSPDXElement string `json:"relatedSpdxElement"`
}

// writeSBOMs replaces dir with one SPDX JSON document per platform image.
func writeSBOMs(dir string, images []platformImage, meta imageMeta) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, pi := range images {
		doc, err := sbomOf(pi, meta)
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		name := fmt.Sprintf("gitcanary-%s-%s.spdx.json", pi.Platform.OS, pi.Platform.Architecture)
		if err := os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write SBOM %s: %w", name, err)
		}
	}
	return nil
}

// sbomOf describes one binary from its embedded build information: the main module, the Go
// standard library and every module it was built from.
func sbomOf(pi platformImage, meta imageMeta) (spdxDocument, error) {
	bin, err := os.ReadFile(pi.Binary)
	if err != nil {
		return spdxDocument{}, err
	}
	info, err := buildinfo.ReadFile(pi.Binary)
	if err != nil {
		return spdxDocument{}, fmt.Errorf("read build information of %s: %w", pi.Binary, err)
	}
	sum := sha256.Sum256(bin)
	platform := pi.Platform.OS + "-" + pi.Platform.Architecture
	var settings []string
	for _, s := range info.Settings {
		settings = append(settings, s.Key+"="+s.Value)
	}
	main := spdxPackage{
		Name: info.Main.Path, SPDXID: "SPDXRef-Package-main", VersionInfo: meta.Version,
		DownloadLocation: meta.Source,
		Checksums:        []spdxChecksum{{Algorithm: "SHA256", ChecksumValue: hex.EncodeToString(sum[:])}},
		ExternalRefs:     []spdxExternalRef{purl(info.Main.Path, meta.Version)},
		Comment:          fmt.Sprintf("/gitcanary for %s, revision %s, built with %s %s", platform, meta.Revision, info.GoVersion, strings.Join(settings, " ")),
	}
	doc := spdxDocument{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name:              fmt.Sprintf("gitcanary-%s-%s", meta.Version, platform),
		DocumentNamespace: fmt.Sprintf("%s/spdx/%s/%s/%s", meta.Source, meta.Version, platform, hex.EncodeToString(sum[:])),
		CreationInfo:      spdxCreationInfo{Created: meta.Created.Format(time.RFC3339), Creators: []string{"Tool: " + imageAuthor}},
		Packages: []spdxPackage{main, {
			Name: "stdlib", SPDXID: "SPDXRef-Package-stdlib", VersionInfo: info.GoVersion,
			DownloadLocation: "NOASSERTION", ExternalRefs: []spdxExternalRef{purl("stdlib", info.GoVersion)},
		}},
		Relationships: []spdxRelationship{
			{"SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Package-main"},
			{"SPDXRef-Package-main", "DEPENDS_ON", "SPDXRef-Package-stdlib"},
		},
	}
	for i, d := range info.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		id := fmt.Sprintf("SPDXRef-Package-%d", i+1)
		pkg := spdxPackage{Name: d.Path, SPDXID: id, VersionInfo: d.Version, DownloadLocation: "NOASSERTION",
			ExternalRefs: []spdxExternalRef{purl(d.Path, d.Version)}}
		if d.Sum != "" {
			pkg.Comment = "go.sum " + d.Sum
		}
		doc.Packages = append(doc.Packages, pkg)
		doc.Relationships = append(doc.Relationships, spdxRelationship{"SPDXRef-Package-main", "DEPENDS_ON", id})
	}
	return doc, nil
}

func purl(path, version string) spdxExternalRef {
	return spdxExternalRef{ReferenceCategory: "PACKAGE-MANAGER", ReferenceType: "purl",
		ReferenceLocator: "pkg:golang/" + path + "@" + version}
}
