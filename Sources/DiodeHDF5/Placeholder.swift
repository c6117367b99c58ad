import CHDF5
public func hdf5DoubleForLinkCheck() -> hid_t { chdf5_native_double() }
