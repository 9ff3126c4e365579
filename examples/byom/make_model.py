#!/usr/bin/python3
"""
The "bring your own model" example's source model: an MLP trained in PyTorch, as a user would
bring it to prunekit. Writes, next to this script:

  digits-train.csv, digits-test.csv   scikit-learn's 8×8 digits (1,797 images), pixels / 16 in
                                      [0, 1], columns p0…p63 and `digit`; a stratified 70/30 split
  digits-mlp.onnx                     torch.onnx.export of the trained nn.Sequential (opset 13)
  digits-mlp.safetensors              the same state dict (`0.weight`, `0.bias`, `2.weight`, …)
  reference.json                      PyTorch's test logits, predictions and accuracy

Run with Debian's python (torch 1.13, scikit-learn 1.2): /usr/bin/python3 examples/byom/make_model.py
Seeds are fixed; bench/byom.ts reads the committed files and needs no Python.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_num_threads(1)  # deterministic sums
torch.manual_seed(0)
np.random.seed(0)

digits = load_digits()
x = (digits.data / 16.0).astype(np.float32)  # k/16: exact in binary, so the CSV round-trips
y = digits.target.astype(np.int64)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, stratify=y, random_state=0)


def write_csv(name, xs, ys):
    with open(os.path.join(HERE, name), "w") as f:
        f.write(",".join([f"p{i}" for i in range(64)] + ["digit"]) + "\n")
        for row, label in zip(xs, ys):
            f.write(",".join(np.format_float_positional(v, trim="-") for v in row) + f",{label}\n")


write_csv("digits-train.csv", x_train, y_train)
write_csv("digits-test.csv", x_test, y_test)

model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
for epoch in range(60):
    perm = torch.randperm(len(xt))
    for i in range(0, len(xt), 32):
        idx = perm[i : i + 32]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
        loss.backward()
        opt.step()
model.eval()

with torch.no_grad():
    logits = model(torch.from_numpy(x_test)).numpy()
pred = logits.argmax(axis=1)
accuracy = float((pred == y_test).mean())
print(f"PyTorch test accuracy: {accuracy:.4f}")

torch.onnx.export(
    model, torch.zeros(1, 64), os.path.join(HERE, "digits-mlp.onnx"), opset_version=13,
    input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
)


def write_safetensors(tensors, name):
    """safetensors (the `safetensors` package is not installed here): 8-byte LE header length,
    JSON header, then each tensor's little-endian bytes."""
    header, blobs, offset = {}, [], 0
    for key, t in tensors.items():
        b = np.ascontiguousarray(t.detach().numpy().astype("<f4")).tobytes()
        header[key] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


write_safetensors(model.state_dict(), "digits-mlp.safetensors")

with open(os.path.join(HERE, "reference.json"), "w") as f:
    json.dump({
        "source": "PyTorch 1.13 nn.Sequential(Linear(64,256), ReLU, Linear(256,128), ReLU, Linear(128,10)), Adam lr 1e-3, 60 epochs, batch 32, seed 0",
        "test_accuracy": accuracy,
        "test_predictions": pred.tolist(),
        "test_logits": [[float(np.format_float_positional(v, unique=True, trim="-")) for v in row] for row in logits.astype(np.float32)],
    }, f, separators=(",", ":"))
    f.write("\n")
