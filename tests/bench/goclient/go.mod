module attache/bench/goclient

go 1.19
