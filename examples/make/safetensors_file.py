"""Writes a .safetensors file (an 8-byte little-endian header length, the JSON header padded to 8 bytes, the data),
float32, for the example scripts here; they run offline, without the safetensors package."""
import json
import struct

import numpy as np


def write_safetensors(path, tensors):
    """tensors: name -> array-like (numpy, or anything np.asarray takes), stored as little-endian float32."""
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array, dtype='<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(np.shape(array)), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
