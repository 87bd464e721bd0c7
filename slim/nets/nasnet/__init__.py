"""NASNet-A and PNASNet-5: cells as data (`nasnet_utils`), the NASNet builders
(`nasnet`) and the PNASNet builders (`pnasnet`)."""
