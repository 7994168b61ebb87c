module github.com/gitcanary/gitcanary/e2e/tools/prometheus

go 1.26.0
