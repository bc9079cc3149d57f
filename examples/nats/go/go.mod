module github.com/funnelq/funnelq/examples/nats/go

go 1.26.0

require (
	github.com/funnelq/funnelq/examples/go v0.0.0
	github.com/nats-io/nats.go v1.55.0
	github.com/nats-io/nuid v1.0.1
)

require (
	github.com/klauspost/compress v1.20.0 // indirect
	github.com/nats-io/nkeys v0.4.16 // indirect
	golang.org/x/crypto v0.57.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)

// The funnelq Go package of this repository (cgo over the installed C library).
replace github.com/funnelq/funnelq/examples/go => ../../go
