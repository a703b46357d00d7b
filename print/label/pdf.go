package label

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"sync"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
)

// PagePDF makes a Label of widthMM×heightMM media from the first page of a
// PDF, as carriers' e-waybill services return it, rasterised to the
// printer's dots at dpi (203 or 300). The page must have the media's shape
// within 5% (its MediaBox, as PagePNG's image); it is rendered straight to
// the media's size in dots, so it prints without a second scaling.
//
// PDFium does the rendering, compiled to WebAssembly and run in-process by
// wazero (github.com/klippa-app/go-pdfium/webassembly): no cgo and no
// system library. The first call compiles the module, which takes a few
// seconds; the compiled module is kept for the life of the process and
// each call runs its own instance of it, one at a time.
func PagePDF(pdf []byte, widthMM, heightMM float64, dpi int) (Label, error) {
	img, err := rasterisePDF(pdf, widthMM, heightMM, dpi)
	if err != nil {
		return Label{}, fmt.Errorf("page pdf: %w", err)
	}
	return pageLabel("page", img, widthMM, heightMM), nil
}

// pdfiumRuntime is the process's one PDFium module; mu lets one page be
// rendered at a time, so an instance is always free when asked for.
var pdfiumRuntime struct {
	once sync.Once
	pool pdfium.Pool
	err  error
	mu   sync.Mutex
}

func pdfiumPool() (pdfium.Pool, error) {
	p := &pdfiumRuntime
	p.once.Do(func() {
		p.pool, p.err = webassembly.Init(webassembly.Config{MinIdle: 0, MaxIdle: 1, MaxTotal: 1})
		if p.err != nil {
			p.err = fmt.Errorf("start pdfium: %w", p.err)
		}
	})
	return p.pool, p.err
}

func rasterisePDF(pdf []byte, widthMM, heightMM float64, dpi int) (image.Image, error) {
	dpmm, err := DotsPerMM(dpi)
	if err != nil {
		return nil, err
	}
	if len(pdf) == 0 {
		return nil, fmt.Errorf("%w: no data (0 bytes)", ErrPage)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return nil, fmt.Errorf("%w: not a PDF (starts %q)", ErrPage, pdf[:min(len(pdf), 8)])
	}
	if !(widthMM > 0 && heightMM > 0) {
		return nil, fmt.Errorf("%w: media %gx%g mm", ErrPage, widthMM, heightMM)
	}
	pool, err := pdfiumPool()
	if err != nil {
		return nil, err
	}
	pdfiumRuntime.mu.Lock()
	defer pdfiumRuntime.mu.Unlock()
	inst, err := pool.GetInstanceWithContext(context.Background())
	if err != nil {
		return nil, fmt.Errorf("pdfium instance: %w", err)
	}
	defer inst.Close()
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &pdf})
	if err != nil {
		return nil, fmt.Errorf("%w: open PDF: %v", ErrPage, err)
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	n, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		return nil, fmt.Errorf("%w: count pages: %v", ErrPage, err)
	}
	if n.PageCount < 1 {
		return nil, fmt.Errorf("%w: PDF has no pages", ErrPage)
	}
	first := requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: 0}}
	size, err := inst.GetPageSize(&requests.GetPageSize{Page: first})
	if err != nil {
		return nil, fmt.Errorf("%w: page size: %v", ErrPage, err)
	}
	// The page's shape is checked in points, so a page that does not fit
	// the media is refused before anything is drawn.
	pw, ph := size.Width*25.4/72, size.Height*25.4/72
	if err := checkAspect(fmt.Sprintf("page %.1fx%.1f mm", pw, ph), pw, ph, widthMM, heightMM); err != nil {
		return nil, err
	}
	w, h := max(1, int(widthMM*dpmm+0.5)), max(1, int(heightMM*dpmm+0.5))
	rendered, err := inst.RenderPageInPixels(&requests.RenderPageInPixels{Page: first, Width: w, Height: h})
	if err != nil {
		return nil, fmt.Errorf("render page: %w", err)
	}
	defer rendered.Cleanup()
	src := rendered.Result.Image
	if src == nil {
		return nil, errors.New("render page: pdfium returned no image")
	}
	// The image's pixels belong to the WebAssembly instance and are
	// released by Cleanup, so they are copied out first.
	img := image.NewRGBA(src.Rect)
	draw.Draw(img, img.Rect, src, src.Rect.Min, draw.Src)
	return img, nil
}
