"""Drives the service's web page in headless Chromium (Selenium + chromedriver) like a person.

Opens the page at a phone's width and at a desktop's, chooses PHOTO in its file input, waits for
the answer, and checks that the page shows the label the API gives for the same file, the 28x28
model input, three probability bars and a grid of similar items whose first is the photo itself
(when it is in the catalogue); then chooses a text file and checks the refusal message. Saves a
screenshot of the desktop page when --screenshot is given.

    python3 scripts/check_page.py http://127.0.0.1:PORT PHOTO [--screenshot OUT.png] [--same-item ID]
"""
import argparse
import json
import os
import sys
import tempfile
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def fail(message):
    sys.exit("error: page check: " + message)


def api_label(base, photo):
    data = open(photo, "rb").read()
    kind = "image/png" if photo.endswith(".png") else "image/jpeg"
    request = urllib.request.Request(base + "/v1/classify", data=data, method="POST", headers={"Content-Type": kind})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["label"]


def browser(width, height):
    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                 "--window-size=%d,%d" % (width, height)]:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def check(base, photo, expected, width, height, same_item, screenshot=None):
    driver = browser(width, height)
    try:
        driver.get(base + "/")
        wait = WebDriverWait(driver, 30)
        driver.find_element(By.ID, "file").send_keys(os.path.abspath(photo))
        wait.until(lambda d: d.find_element(By.ID, "label").text.strip() != "")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#similar figure")) > 0
                   or d.find_element(By.ID, "similar-message").text.strip() != "")
        label = driver.find_element(By.ID, "label").text.strip()
        if expected not in label:
            fail("at %dpx the page says '%s', the API '%s'" % (width, label, expected))
        bars = driver.find_elements(By.CSS_SELECTOR, "#bars .bar")
        if len(bars) != 3:
            fail("%d probability bars, not 3" % len(bars))
        loaded = driver.execute_script("const i = document.getElementById('input'); return [i.complete, i.naturalWidth, i.naturalHeight];")
        if loaded != [True, 28, 28]:
            fail("the model input picture is %s, not a loaded 28x28 image" % loaded)
        items = driver.find_elements(By.CSS_SELECTOR, "#similar figure")
        if not items:
            fail("no similar items: " + driver.find_element(By.ID, "similar-message").text)
        wait.until(lambda d: d.execute_script(
            "return [...document.querySelectorAll('#similar img')].every(i => i.complete && i.naturalWidth > 0);"))
        first = items[0].find_element(By.TAG_NAME, "img").get_attribute("alt")
        if same_item and first != same_item:
            fail("the first similar item is %s, not the photo itself (%s)" % (first, same_item))
        overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth;")
        if overflow > 0:
            fail("at %dpx the page is %dpx wider than the screen" % (width, overflow))
        if screenshot:
            driver.execute_script("window.scrollTo(0, 0);")
            driver.save_screenshot(screenshot)
        # A file that is not a photo is refused with a message.
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as note:
            note.write("not a photo")
        driver.find_element(By.ID, "file").send_keys(note.name)
        wait.until(lambda d: "Refused" in d.find_element(By.ID, "message").text)
        os.unlink(note.name)
        print("page check at %dx%d: label '%s', %d similar items (first %s), refusal shown"
              % (width, height, label, len(items), os.path.basename(first)))
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("photo")
    parser.add_argument("--screenshot")
    parser.add_argument("--same-item", help="the catalogue id the photo has (the first similar item)")
    args = parser.parse_args()
    expected = api_label(args.base, args.photo)
    check(args.base, args.photo, expected, 390, 844, args.same_item)
    check(args.base, args.photo, expected, 1280, 900, args.same_item, args.screenshot)


if __name__ == "__main__":
    main()
