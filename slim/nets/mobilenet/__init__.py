"""MobileNet V2 and V3: the conv-defs builder (`mobilenet`), its blocks (`conv_blocks`)
and the published architectures (`mobilenet_v2`, `mobilenet_v3`)."""
