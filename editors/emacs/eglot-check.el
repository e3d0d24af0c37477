;;; eglot-check.el --- run the docs/editors.md Emacs snippet headless  -*- lexical-binding: t -*-
;; emacs --batch -l SNIPPET.el -l eglot-check.el FILE:CODE,-CODE...
;; Opens each FILE, starts eglot as configured by the snippet, waits for jwtlens's
;; diagnostics (through flymake), prints them and the hover on the first token, and exits
;; non-zero unless every FILE gets every CODE, none of the -CODEs, and a hover.
(require 'cl-lib)
(require 'eglot)
(require 'flymake)

(defvar jwtlens-check-timeout 20 "Seconds to wait for diagnostics.")

(defun jwtlens-check--wait (predicate)
  "Run the event loop until PREDICATE holds or the timeout passes."
  (let ((deadline (+ (float-time) jwtlens-check-timeout)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.1))
    (funcall predicate)))

(defun jwtlens-check--codes ()
  "The rule codes of the buffer's diagnostics."
  (delete-dups
   (delq nil (mapcar (lambda (diag)
                       (and (string-match "\\[\\(JWT[0-9]+\\)\\]" (flymake-diagnostic-text diag))
                            (match-string 1 (flymake-diagnostic-text diag))))
                     (flymake-diagnostics)))))

(defun jwtlens-check-file (file expected absent)
  "Open FILE with eglot; return a failure message, or nil when all is well.
All is well when the EXPECTED codes and a hover arrive, and no ABSENT code."
  (with-current-buffer (find-file-noselect file)
    (princ (format "%s (%s)\n" file major-mode))
    (unless (eglot-current-server)
      (apply #'eglot (eglot--guess-contact)))
    (let ((server (eglot-current-server)))
      (jwtlens-check--wait
       (lambda ()
         ;; Flymake starts its backends from idle timers, which batch mode never runs.
         (when flymake-mode (flymake-start))
         (cl-subsetp expected (jwtlens-check--codes) :test #'equal)))
      (princ (format "  server %S, root %s\n" (eglot--server-info server)
                     (project-root (eglot--project server))))
      (dolist (diag (flymake-diagnostics))
        (princ (format "  line %d %s: %s\n"
                       (line-number-at-pos (flymake-diagnostic-beg diag))
                       (flymake-diagnostic-type diag)
                       (flymake-diagnostic-text diag))))
      (goto-char (point-min))
      (re-search-forward "eyJ" nil t)
      (let* ((hover (jsonrpc-request server :textDocument/hover
                                     (eglot--TextDocumentPositionParams)))
             (text (plist-get (plist-get hover :contents) :value))
             (missing (cl-set-difference expected (jwtlens-check--codes) :test #'equal))
             (unwanted (cl-intersection absent (jwtlens-check--codes) :test #'equal)))
        (princ (format "  hover: %s\n" (if text (car (split-string text "\n")) "(none)")))
        (cond (missing (format "%s: no %s within %d s" file
                               (string-join missing ", ") jwtlens-check-timeout))
              (unwanted (format "%s: %s reported although the settings turn it off"
                                file (string-join unwanted ", ")))
              ((not text) (format "%s: no hover on the first token" file)))))))

(let ((failed 0) (passed 0))
  (dolist (arg command-line-args-left)
    (let* ((parts (split-string arg ":"))
           (codes (split-string (or (cadr parts) "") "," t))
           (failure (jwtlens-check-file
                     (car parts)
                     (cl-remove-if (lambda (code) (string-prefix-p "-" code)) codes)
                     (mapcar (lambda (code) (substring code 1))
                             (cl-remove-if-not (lambda (code) (string-prefix-p "-" code)) codes)))))
      (if (not failure)
          (cl-incf passed)
        (cl-incf failed)
        (princ (format "  FAILED: %s\n" failure)))))
  (setq command-line-args-left nil)
  (princ (format "%d passed, %d failed\n" passed failed))
  (kill-emacs (if (and (> passed 0) (= failed 0)) 0 1)))
