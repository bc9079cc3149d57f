module github.com/funnelq/funnelq/examples/go

go 1.24
