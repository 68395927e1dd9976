// Package ent is the generated data layer; its source of truth is ./schema.
package ent

//go:generate go run -mod=mod entc.go
