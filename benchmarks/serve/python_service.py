"""The Python service `benchmarks/serve/load.sh` compares `fashion serve` with: FastAPI + uvicorn +
PyTorch doing the same work per request as POST /v1/classify (read the body, decode the photo at
fashion's JPEG scale, the photo preprocessing of Sources/Preprocessing ported to numpy, the vgg-bn
of the same safetensors weights, temperature and softmax, the top three classes as JSON).

The decoding, preprocessing and model come from benchmarks/reference/tag_pipeline.py, which checks
them against fashion's own output (same labels, probabilities within ~1e-6).

    WEIGHTS=runs/photo/model.safetensors TORCH_THREADS=1 \
        /work/venv/bin/uvicorn python_service:app --app-dir benchmarks/serve --port 8090 --workers 2
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from fastapi import FastAPI, HTTPException, Request  # noqa: E402

import tag_pipeline  # noqa: E402

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
WEIGHTS = os.environ["WEIGHTS"]
MODEL, NAMES, TEMPERATURE = tag_pipeline.load_model(WEIGHTS)
PARAMS = tag_pipeline.preprocessing_parameters(tag_pipeline.safetensors_metadata(WEIGHTS))
MINIMUM_SIDE = max(PARAMS["size"], PARAMS["workingSize"])
TYPES = {"image/jpeg", "image/png", "image/webp"}

app = FastAPI()


@app.get("/v2/health/ready")
def ready():
    return {"ready": True}


@app.post("/v1/classify")
async def classify(request: Request):
    started = time.perf_counter()
    if request.headers.get("content-type", "").split(";")[0].strip().lower() not in TYPES:
        raise HTTPException(status_code=415, detail="send image/jpeg, image/png or image/webp")
    data = await request.body()
    try:
        pixels = tag_pipeline.preprocess(tag_pipeline.decode(data, MINIMUM_SIDE, "turbo"), PARAMS)
    except Exception as error:
        raise HTTPException(status_code=400, detail="the photo cannot be decoded: %s" % error)
    x = torch.from_numpy(pixels.astype(np.float32) / 255.0).reshape(1, 1, PARAMS["size"], PARAMS["size"])
    with torch.no_grad():
        probabilities = torch.softmax(MODEL(x)[0] / TEMPERATURE, dim=0).numpy()
    order = np.argsort(-probabilities, kind="stable")[:3]
    top = [{"label": NAMES[i], "index": int(i), "probability": float(probabilities[i])} for i in order]
    return {"label": top[0]["label"], "index": top[0]["index"], "probability": top[0]["probability"], "top_k": top,
            "abstained": False, "model": "vgg-bn", "elapsed_ms": round((time.perf_counter() - started) * 1000, 3)}
