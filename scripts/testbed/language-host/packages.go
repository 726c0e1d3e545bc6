package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// packageJSON holds the package.json fields this host reads.
type packageJSON struct {
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	Dependencies map[string]string `json:"dependencies"`
	Pulumi       struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}

// resourcePlugin is a package that declares a resource provider plugin
// (`"pulumi": {"resource": true}` in its package.json).
type resourcePlugin struct{ name, version, server string }

// pluginOf says which plugin a package declares, if any. Packages outside
// the @pulumi scope must name their plugin; they are skipped otherwise.
func pluginOf(p *packageJSON) (resourcePlugin, bool) {
	if !p.Pulumi.Resource {
		return resourcePlugin{}, false
	}
	name := p.Pulumi.Name
	if name == "" && strings.HasPrefix(p.Name, "@pulumi/") {
		name = strings.TrimPrefix(p.Name, "@pulumi/")
	}
	ver := p.Pulumi.Version
	if ver == "" {
		ver = p.Version
	}
	if name == "" || ver == "" {
		return resourcePlugin{}, false
	}
	if !strings.HasPrefix(ver, "v") {
		ver = "v" + ver
	}
	return resourcePlugin{name: name, version: ver, server: p.Pulumi.Server}, true
}

// findPlugins walks dir/node_modules (scoped packages and nested
// node_modules too) for packages that declare a resource plugin.
func findPlugins(dir string) []resourcePlugin {
	var found []resourcePlugin
	seen := map[string]bool{}
	var walk func(modules string)
	walk = func(modules string) {
		real, err := filepath.EvalSymlinks(modules)
		if err != nil || seen[real] {
			return
		}
		seen[real] = true
		for _, pkgDir := range packageDirs(modules) {
			if p, err := readPackageJSON(filepath.Join(pkgDir, "package.json")); err == nil {
				if plug, ok := pluginOf(p); ok {
					found = append(found, plug)
				}
			}
			walk(filepath.Join(pkgDir, "node_modules"))
		}
	}
	walk(filepath.Join(dir, "node_modules"))
	sort.Slice(found, func(i, j int) bool { return found[i].name+found[i].version < found[j].name+found[j].version })
	return found
}

// packageDirs lists the package directories of one node_modules directory.
func packageDirs(modules string) []string {
	entries, err := os.ReadDir(modules)
	if err != nil {
		return nil
	}
	var dirs []string
	for _, e := range entries {
		p := filepath.Join(modules, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case strings.HasPrefix(e.Name(), "@"):
			scoped, _ := os.ReadDir(p)
			for _, s := range scoped {
				dirs = append(dirs, filepath.Join(p, s.Name()))
			}
		default:
			dirs = append(dirs, p)
		}
	}
	return dirs
}

func programDir(info *pulumirpc.ProgramInfo, fallback string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	return fallback
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	var pkgs []*pulumirpc.PackageDependency
	for _, p := range findPlugins(programDir(req.GetInfo(), "")) {
		pkgs = append(pkgs, &pulumirpc.PackageDependency{Name: p.name, Kind: "resource", Version: p.version, Server: p.server})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

// GetRequiredPlugins is the older form of GetRequiredPackages, still part of the service.
func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	var plugins []*pulumirpc.PluginDependency
	for _, p := range findPlugins(programDir(req.GetInfo(), req.GetProgram())) {
		plugins = append(plugins, &pulumirpc.PluginDependency{Name: p.name, Kind: "resource", Version: p.version, Server: p.server})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// GetProgramDependencies lists the project's direct dependencies with the
// versions installed in node_modules (`pulumi about`). Transitive
// dependencies are not listed.
func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := nearestPackageDir(programDir(req.GetInfo(), req.GetProgram()))
	project, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the program's package.json: %w", err)
	}
	var deps []*pulumirpc.DependencyInfo
	for name, wanted := range project.Dependencies {
		ver := wanted
		if installed, err := readPackageJSON(filepath.Join(dir, "node_modules", name, "package.json")); err == nil {
			ver = installed.Version
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: name, Version: ver})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// nearestPackageDir is the program's directory or the closest one above it
// holding a package.json: where node resolves the program's packages from.
func nearestPackageDir(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "package.json")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
